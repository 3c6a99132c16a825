import { expect } from 'chai';
import { maskIdentifier, maskName } from './masking.ts';

describe('identity: masked holder data for public verification', () => {
  it('masks a person\'s name after its first character, counting characters outside the BMP as one', () => {
    expect(maskName('张𠮷', 'person')).to.equal('张*');
    expect(maskName('𠮷田太郎', 'person')).to.equal('𠮷***');
    expect(maskName('欧阳修文', 'person')).to.equal('欧***');
    expect(maskName('李', 'person')).to.equal('李*');
  });

  it('keeps an organisation\'s first three characters and its legal form', () => {
    expect(maskName('北京𠮷𪚥餐饮管理有限公司', 'organisation')).to.equal('北京𠮷**有限公司');
    expect(maskName('上海𠮷祥贸易有限责任公司', 'organisation')).to.equal('上海𠮷**有限责任公司');
    expect(maskName('朝阳区建国路食品商店', 'organisation')).to.equal('朝阳区**商店');
    expect(maskName('廣州點心茶樓', 'organisation')).to.equal('廣州點**');
    expect(maskName('麵館', 'organisation')).to.equal('麵*');
  });

  it('masks an identifier but its first and last four characters', () => {
    expect(maskIdentifier('11010519491231002X')).to.equal('1101**********002X');
    expect(maskIdentifier('91350100M000100Y43')).to.equal('9135**********0Y43');
    expect(maskIdentifier('12345678')).to.equal('********');
  });
});
